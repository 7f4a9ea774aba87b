# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # CRIO_TESTS_DIR, SLEEPER and what suite_setup_file sets are for the .bats files
#
# Helpers for vigil's CRI-O end-to-end tests: a private CRI-O v1.26.4 from the kit in
# $VIGIL_CRIO_DIR (its README.md says what crio_start configures) whose runc handler has vigil as
# monitor_path, driven with crictl and real runc.
#
# Every .bats file does:
#     load helpers
#     setup_file()    { suite_setup_file; ...; }
#     teardown_file() { suite_teardown_file; }
# and runs under run-in-ns.sh (meson does that), which has made the kit usable and entered a private
# mount namespace, and cleans up what entering it made once bats is done. suite_setup_file starts one CRI-O for the whole file in a fresh RUN_DIR, with
# CRIO_WRAP=1 so that RUN_DIR/monitor-argv.log records every command line CRI-O gives the monitor,
# and pulls the busybox image from the kit's loopback registry. suite_teardown_file stops CRI-O
# and the registry, kills by PID what is left of the run, unmounts RUN_DIR and removes it.
#
# By hand, as root, from the repository root once meson has built vigil:
#     VIGIL_BINARY=$PWD/build/src/vigil VIGIL_CRIO_DIR=$PWD/../shared/crio CRIO_BIN=$PWD/build/crio-bin \
#         tests/crio/run-in-ns.sh bats tests/crio/01-logs.bats
# VIGIL_CRIO_KEEP=1 keeps RUN_DIR (CRI-O is stopped and everything unmounted all the same).
# VIGIL_CRIO_MONITOR=PROGRAM makes CRI-O run PROGRAM as its monitor instead of vigil: a wrapper that
# changes vigil's arguments, for instance, to check that the tests notice a broken monitor.

bats_require_minimum_version 1.5.0

CRIO_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${VIGIL_CRIO_DIR:?set VIGIL_CRIO_DIR to the CRI-O kit directory}"
: "${VIGIL_BINARY:?set VIGIL_BINARY to the vigil binary (e.g. build/src/vigil)}"
VIGIL=$(readlink -f -- "$VIGIL_BINARY")
# shellcheck source=/dev/null # the kit is outside the repository
source "$VIGIL_CRIO_DIR/crio-lib.sh"

# The image every test container runs (a busybox-static image that the kit's registry serves).
CRIO_IMAGE=registry.k8s.io/e2e-test-images/busybox:1.29-2
# Upper bound for each crictl call, in seconds: nothing may hang the suite.
CRI_TIMEOUT=${CRI_TIMEOUT:-90}
# The command of a container that stays up and lets tests write to its stdout and stderr: it leaves
# its PID in /tmp/main.pid for ctr_write.
# shellcheck disable=SC2016 # expanded by the container's shell
SLEEPER=(sh -c 'echo $$ >/tmp/main.pid; exec sleep 100000')

# fail_with LINE...: print the lines to the test's failure output and fail.
fail_with() {
	printf '# %s\n' "$@" >&2
	return 1
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	[[ "$1" == "$2" ]] ||
		fail_with "${3:-value} mismatch" "expected: $(printf '%q' "$2")" "actual:   $(printf '%q' "$1")"
}

# assert_file_eq FILE EXPECTED-FILE [WHAT]: same bytes; on a difference show where and the heads.
assert_file_eq() {
	local diff
	diff=$(cmp -- "$2" "$1" 2>&1) && return 0
	fail_with "${3:-$1} differs from the expected bytes: $diff" \
		"expected $(stat -c %s "$2") bytes: $(head -c 300 "$2" | od -An -c | head -8 | tr -s ' \n' ' ')" \
		"actual $(stat -c %s "$1" 2>/dev/null) bytes: $(head -c 300 "$1" 2>/dev/null | od -An -c | head -8 | tr -s ' \n' ' ')"
}

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds; fail after SECONDS.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		if ((SECONDS >= deadline)); then
			fail_with "timed out waiting for: $*"
			return 1
		fi
		sleep 0.1
	done
}

# ---------------------------------------------------------------------------------------------
# CRI-O for one .bats file

suite_setup_file() {
	[[ $(id -u) == 0 ]] || fail_with "the CRI-O tests need root" || return 1
	[[ -n ${CRIO_IN_NS:-} ]] || fail_with "run the .bats files through tests/crio/run-in-ns.sh" || return 1
	[[ -x $VIGIL ]] || fail_with "vigil binary not found: $VIGIL_BINARY" || return 1
	RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vigil-crio.XXXXXX")
	export RUN_DIR
	mkdir -p "$RUN_DIR/cfg" "$RUN_DIR/podlogs" "$RUN_DIR/data"
	export CRIO_WRAP=1
	# CRI-O and the registry run in the background for the whole file: they must not hold fd 3,
	# or bats waits for them at the end of setup_file.
	# VIGIL_CRIO_DROPIN=FILE (tests/package): FILE goes into CRI-O's drop-in directory as it is but
	# for the host-specific lines of its runc handler: the kit's runtime wrapper and state dir, and
	# monitor_cgroup "pod" (what cgroupfs takes). Its monitor_path and monitor_env then decide the
	# monitor, over crio.conf's.
	if [[ -n ${VIGIL_CRIO_DROPIN:-} ]]; then
		mkdir -p "$RUN_DIR/conf/crio.conf.d"
		sed -E -e "s|^runtime_path = .*|runtime_path = \"$RUN_DIR/runtime\"|" \
			-e "s|^runtime_root = .*|runtime_root = \"$RUN_DIR/runc\"|" \
			-e 's|^monitor_cgroup = .*|monitor_cgroup = "pod"|' \
			"$VIGIL_CRIO_DROPIN" >"$RUN_DIR/conf/crio.conf.d/${VIGIL_CRIO_DROPIN##*/}"
	fi
	local rc=0
	crio_start "${VIGIL_CRIO_MONITOR:-$VIGIL}" "$RUN_DIR" 3>&- || rc=$?
	# crio_start's results, for the tests and for crio_stop in teardown_file (also after a
	# failed start: the registry may be up)
	export CRIO_DIR CRIO_PID REG_PID CRIO_SOCK CRICTL
	((rc == 0)) || return 1
	cri pull "$CRIO_IMAGE" >/dev/null
}

suite_teardown_file() {
	[[ -n ${RUN_DIR:-} && -d $RUN_DIR ]] || return 0
	crio_stop
	if [[ -n ${CRIO_LEFTOVER// /} ]]; then
		echo "# crio_stop killed processes left over by the run: $CRIO_LEFTOVER" >&3
	fi
	if [[ -n ${VIGIL_CRIO_KEEP:-} ]]; then
		echo "# kept $RUN_DIR" >&3
	else
		rm -rf -- "$RUN_DIR"
	fi
}

# cri ARGS...: crictl against this file's CRI-O, bounded in time.
cri() {
	# shellcheck disable=SC2086 # CRICTL is the crictl path plus its endpoint options (crio-lib.sh)
	timeout --kill-after=10 "$CRI_TIMEOUT" $CRICTL "$@"
}

# cri_cmdline ARGS...: the command line that `cri ARGS...` runs, quoted for a shell (script -c),
# for a crictl that owns a terminal. `exec` and `timeout --foreground` keep crictl in the terminal's
# foreground process group whatever shell script(1) picks ($SHELL, or /bin/sh when it is unset, as
# in CI): dash does not exec the last command, and a plain timeout moves crictl to a process group
# of its own, so crictl's raw-mode tcsetattr would stop it with SIGTTOU and the attach would hang.
cri_cmdline() {
	local -a crictl
	read -ra crictl <<<"$CRICTL"
	printf 'exec '
	printf '%q ' timeout --foreground --kill-after=10 "$CRI_TIMEOUT" "${crictl[@]}" "$@"
}

# ---------------------------------------------------------------------------------------------
# pods and containers

# pod_create NAME: run a pod sandbox (logs under RUN_DIR/podlogs/NAME); prints its ID.
pod_create() {
	local name=$1 cfg=$RUN_DIR/cfg/pod-$1.json
	mkdir -p "$RUN_DIR/podlogs/$name"
	cat >"$cfg" <<-EOF
		{
		  "metadata": {"name": "$name", "namespace": "vigil-crio", "uid": "uid-$name", "attempt": 0},
		  "log_directory": "$RUN_DIR/podlogs/$name",
		  "linux": {}
		}
	EOF
	local id
	id=$(cri runp "$cfg") || return 1
	# ctr_create needs the pod's config again, by pod ID
	cp "$cfg" "$RUN_DIR/cfg/$id.pod.json"
	echo "$id"
}

# ctr_create POD NAME [--tty] [--stdin] [--stdin-once] [--mount HOST-DIR:CTR-DIR] -- CMD [ARGS...]
# Create (not start) container NAME in POD, running CMD ARGS; its log is <pod log dir>/NAME.log.
# --mount binds HOST-DIR read-only. Prints the container ID.
ctr_create() {
	local pod=$1 name=$2 tty=0 stdin=0 once=0 mount=
	shift 2
	while (($#)); do
		case $1 in
		--tty) tty=1 ;;
		--stdin) stdin=1 ;;
		--stdin-once) once=1 ;;
		--mount)
			mount=$2
			shift
			;;
		--)
			shift
			break
			;;
		*) fail_with "ctr_create: unknown option $1" || return 1 ;;
		esac
		shift
	done
	local cfg=$RUN_DIR/cfg/ctr-$name.json
	# python builds the JSON: the commands carry quotes, backslashes and newlines
	python3 - "$cfg" "$name" "$CRIO_IMAGE" "$tty" "$stdin" "$once" "$mount" "$@" <<-'PY' || return 1
		import json, sys
		out, name, image, tty, stdin, once, mount, *cmd = sys.argv[1:]
		cfg = {"metadata": {"name": name}, "image": {"image": image}, "command": cmd,
		       "log_path": name + ".log", "tty": tty == "1", "stdin": stdin == "1",
		       "stdin_once": once == "1", "linux": {}}
		if mount:
		    host, ctr = mount.split(":", 1)
		    cfg["mounts"] = [{"host_path": host, "container_path": ctr, "readonly": True}]
		with open(out, "w") as f:
		    json.dump(cfg, f, indent=1)
	PY
	cri create "$pod" "$cfg" "$RUN_DIR/cfg/$pod.pod.json"
}

# ctr_run POD NAME [ctr_create options] -- CMD...: create and start; prints the container ID.
ctr_run() {
	local id
	id=$(ctr_create "$@") || return 1
	cri start "$id" >/dev/null || return 1
	echo "$id"
}

# ctr_field ID GO-TEMPLATE: a field of `crictl inspect` (e.g. '{{.status.exitCode}}').
ctr_field() {
	cri inspect -o go-template --template "$2" "$1"
}

# state_is ID STATE: the container's CRI state is STATE (CONTAINER_RUNNING, CONTAINER_EXITED, ...).
state_is() {
	[[ $(ctr_field "$1" '{{.status.state}}' 2>/dev/null) == "$2" ]]
}

# ctr_log ID: the container's log file, as CRI-O reports it (the path it gave the monitor with -l).
ctr_log() {
	ctr_field "$1" '{{.status.logPath}}'
}

# ctr_bundle ID: the container's bundle dir (CRI-O's "userdata": config.json, attach, ctl, pidfiles).
ctr_bundle() {
	echo "$RUN_DIR/runroot/overlay-containers/$1/userdata"
}

# monitor_pid ID: the PID of the container's monitor, from the file CRI-O asked for with -P.
monitor_pid() {
	cat "$(ctr_bundle "$1")/conmon-pidfile"
}

# ctr_write ID FD TEXT: make a SLEEPER container write TEXT (no newline added) to its stdout (FD 1)
# or stderr (FD 2), through an exec'd shell that opens the main process's own fd. The exec
# session has its own monitor and log; only the container's monitor sees these bytes.
ctr_write() {
	# shellcheck disable=SC2016 # expanded by the container's shell
	cri exec -s "$1" sh -c 'printf "%s" "$1" >"/proc/$(cat /tmp/main.pid)/fd/$2"' sh "$3" "$2" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# k8s-file logs

# k8s_log_split LOG OUTDIR: check every record of the k8s-file LOG
#     <YYYY-MM-DDTHH:MM:SS.nnnnnnnnn±HH:MM> <stdout|stderr> <P|F> <content>\n
# with at most 8192 content bytes, and rebuild the streams as a reader (kubelet, crictl logs) does:
# OUTDIR/stdout and OUTDIR/stderr get P content as is and F content plus a newline. OUTDIR/tags.stdout
# and OUTDIR/tags.stderr get the record tags of each stream, space separated (e.g. "F F P").
k8s_log_split() {
	local LC_ALL=C log=$1 out=$2 line content n=0
	local re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2} (stdout|stderr) ([PF]) '
	local -A tags=([stdout]="" [stderr]="")
	mkdir -p "$out"
	: >"$out/stdout"
	: >"$out/stderr"
	while IFS= read -r line; do
		n=$((n + 1))
		[[ $line =~ $re ]] || fail_with "$log: record $n is malformed: $(printf '%q' "${line:0:120}")" || return 1
		content=${line:${#BASH_REMATCH[0]}}
		((${#content} <= 8192)) ||
			fail_with "$log: record $n carries ${#content} content bytes, more than 8192" || return 1
		if [[ ${BASH_REMATCH[2]} == F ]]; then
			printf '%s\n' "$content" >>"$out/${BASH_REMATCH[1]}"
		else
			printf '%s' "$content" >>"$out/${BASH_REMATCH[1]}"
		fi
		tags[${BASH_REMATCH[1]}]+=" ${BASH_REMATCH[2]}"
	done <"$log"
	# `read` returns false on a last line without a newline: every record must end with one
	[[ ! -s $log || $(tail -c 1 "$log" | od -An -c | tr -d ' ') == '\n' ]] ||
		fail_with "$log: the last record has no newline" || return 1
	echo "${tags[stdout]# }" >"$out/tags.stdout"
	echo "${tags[stderr]# }" >"$out/tags.stderr"
}

# log_records_are LOG N: LOG exists and holds exactly N records (lines).
log_records_are() {
	[[ -f $1 && $(wc -l <"$1") == "$2" ]]
}

# ---------------------------------------------------------------------------------------------
# monitors

# assert_vigil_pid PID: PID is a live process running the vigil binary under test.
assert_vigil_pid() {
	local pid=$1 exe state
	[[ $pid =~ ^[1-9][0-9]*$ ]] || fail_with "not a PID: $(printf '%q' "$pid")" || return 1
	exe=$(readlink "/proc/$pid/exe") || fail_with "process $pid does not exist" || return 1
	# a rebuild while the test runs replaces the file: the running process then shows " (deleted)"
	assert_eq "${exe% (deleted)}" "$VIGIL" "/proc/$pid/exe" || return 1
	state=$(awk '/^State:/ {print $2}' "/proc/$pid/status")
	[[ $state != Z ]] || fail_with "process $pid is a zombie"
}

# run_vigil_pids: live vigil processes of this run (executable = the binary under test, command line
# naming RUN_DIR), one "PID: command line" per line.
run_vigil_pids() {
	local dir exe cmd
	# find pre-selects by the exe link: a readlink fork per process takes seconds on a busy host,
	# longer than some exec monitors live
	while IFS= read -r dir; do
		exe=$(readlink "$dir/exe" 2>/dev/null) || continue
		[[ ${exe% (deleted)} == "$VIGIL" ]] || continue
		cmd=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null) || continue
		[[ $cmd == *"$RUN_DIR/"* ]] && echo "${dir#/proc/}: $cmd"
	done < <(find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$VIGIL*" -printf '%h\n' 2>/dev/null)
	return 0
}

no_vigil_left() {
	[[ -z $(run_vigil_pids) ]]
}

# attach_dir_leftovers: entries of CRI-O's attach socket dir (container_attach_socket_dir), which
# holds each monitor's <cuuid> symlink, except exec-pid-dir, which CRI-O itself keeps there.
attach_dir_leftovers() {
	find "$RUN_DIR/attach" -mindepth 1 -maxdepth 1 ! -name exec-pid-dir -printf '%f -> %l\n'
}

# assert_run_clean: with every pod removed, no vigil process of this run is left (monitors end
# shortly after CRI-O has seen their exit file, hence the wait) and no monitor left its symlink
# in the attach socket dir.
assert_run_clean() {
	local pods
	pods=$(cri pods -q) || return 1
	assert_eq "$pods" "" "pods still known to CRI-O" || return 1
	wait_until 30 no_vigil_left || fail_with "vigil processes left:" "$(run_vigil_pids)" || return 1
	assert_eq "$(attach_dir_leftovers)" "" "entries left in $RUN_DIR/attach"
}
