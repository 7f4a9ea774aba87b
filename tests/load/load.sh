#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Load test for vigil with real runc (run by hand, as root; not part of CI):
#
#   tests/load/load.sh [--containers N] [--execs N] [--attach N] [--lines N] [--parallel N]
#                      [--binary PATH] [--keep]
#
#   --containers N  containers running at once, each under its own vigil, each printing --lines
#                   numbered lines, one every 10 ms (default 100 containers, 1000 lines = 10 s)
#   --execs N       legacy (CRI-O ExecSync style, --sync -T) execs against one container (default 1000),
#                   --parallel at a time (default 4)
#   --attach N      attach connect/disconnect cycles against one container (default 1000)
#   --binary PATH   the vigil binary (default $VIGIL_BINARY, else build/src/vigil of this repo)
#   --keep          keep the work dir (logs, bundles) for inspection
#
# Reports VmRSS and fd counts of the vigil daemons (min/median/max while all containers run; first
# vs last around the exec and attach phases), whether every log is complete (every numbered line
# present exactly once, in order) and every exit file is 0, and prints a small table.
# Everything (containers, daemons, temp files) is removed at the end, also on Ctrl-C.
#
# Host notes (host-notes.md): runc 1.1.5 with its own --root, a busybox-static rootfs, cgroupfs.
# PID 1 on these machines does not reap orphans, so the script runs itself under
# tests/integration/subreaper.py, which reaps the vigil daemons (they are not our children).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
INTEGRATION=$REPO/tests/integration

CONTAINERS=100
EXECS=1000
ATTACH=1000
LINES=1000
PARALLEL=4
KEEP=0
VIGIL=${VIGIL_BINARY:-$REPO/build/src/vigil}
RUNC=${RUNC:-/usr/sbin/runc}
BUSYBOX=${BUSYBOX:-/bin/busybox}

usage()
{
	sed -n '4,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

ARGS=("$@")
while (($#)); do
	case $1 in
	--containers) CONTAINERS=$2; shift 2 ;;
	--execs) EXECS=$2; shift 2 ;;
	--attach) ATTACH=$2; shift 2 ;;
	--lines) LINES=$2; shift 2 ;;
	--parallel) PARALLEL=$2; shift 2 ;;
	--binary) VIGIL=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage 0 ;;
	*) echo "unknown option $1" >&2; usage 2 ;;
	esac
done

# run under a subreaper that reaps the daemons (and anything else orphaned); it ignores SIGINT
if [[ -z ${VIGIL_LOAD_INNER:-} ]]; then
	[[ $(id -u) == 0 ]] || { echo "load.sh: run as root (runc)" >&2; exit 2; }
	reaper_dir=$(mktemp -d /tmp/vigil-load-reaper.XXXXXX)
	rc=0
	VIGIL_LOAD_INNER=1 python3 "$INTEGRATION/subreaper.py" "$reaper_dir" --timeout 1800 -- \
		bash "${BASH_SOURCE[0]}" "${ARGS[@]}" || rc=$?
	rm -rf "$reaper_dir"
	exit "$rc"
fi

VIGIL=$(realpath "$VIGIL")
[[ -x $VIGIL ]] || { echo "load.sh: no vigil binary at $VIGIL (build it, or --binary)" >&2; exit 2; }
[[ -x $RUNC ]] || { echo "load.sh: no runc at $RUNC" >&2; exit 2; }
[[ -x $BUSYBOX ]] || { echo "load.sh: no busybox-static at $BUSYBOX" >&2; exit 2; }

WORK=$(mktemp -d /tmp/vigil-load.XXXXXX)
RUNC_ROOT=$WORK/runc
ROOTFS=$WORK/rootfs
EXITS=$WORK/exits
mkdir -p "$RUNC_ROOT" "$ROOTFS" "$EXITS" "$WORK/sockets" "$WORK/gate"
PREFIX=vigil-load-$$

log() { printf '[%5ds] %s\n' "$SECONDS" "$*" >&2; }

cleanup()
{
	local rc=$? id pid f
	trap - EXIT INT TERM
	for id in $("$RUNC" --root "$RUNC_ROOT" list -q 2>/dev/null); do
		"$RUNC" --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
	done
	# daemons whose container is gone exit by themselves; kill whatever is left
	for f in "$WORK"/bundles/*/conmon.pid; do
		[[ -s $f ]] || continue
		pid=$(<"$f")
		if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$VIGIL" ]]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	jobs -p | xargs -r kill -KILL 2>/dev/null || true
	if ((KEEP)); then
		log "work dir kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# rootfs, bundles

mkdir -p "$ROOTFS"/{bin,etc,tmp,proc,sys,dev,out}
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[[ $a == busybox ]] || ln -sf busybox "$ROOTFS/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\n' >"$ROOTFS/etc/group"
(cd "$WORK" && "$RUNC" spec)
TEMPLATE=$WORK/config.json

# make_bundle DIR SCRIPT: a bundle running `sh -c SCRIPT`, with DIR/out bind-mounted at /out and
# the shared $WORK/gate at /gate (read-only)
make_bundle()
{
	mkdir -p "$1/out"
	python3 - "$TEMPLATE" "$1" "$ROOTFS" "$2" "$WORK/gate" <<'PY'
import json, sys
template, bundle, rootfs, script, gate = sys.argv[1:6]
with open(template) as f:
    c = json.load(f)
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c", script]
c["hostname"] = "vigil-load"
c["mounts"].append({"destination": "/out", "type": "bind", "source": bundle + "/out", "options": ["rbind", "rw"]})
c["mounts"].append({"destination": "/gate", "type": "bind", "source": gate, "options": ["rbind", "ro"]})
with open(bundle + "/config.json", "w") as f:
    json.dump(c, f)
PY
}

# vigil_create CID BUNDLE: vigil as CRI-O starts it (legacy API, no sync/start pipes here)
vigil_create()
{
	local cid=$1 b=$2
	"$VIGIL" -c "$cid" -u "$cid" -n "$cid" -r "$RUNC" -b "$b" -p "$b/pidfile" -P "$b/conmon.pid" \
		--exit-dir "$EXITS" --full-attach --runtime-arg "--root=$RUNC_ROOT" -l "k8s-file:$b/ctr.log" \
		--syslog </dev/null >/dev/null 2>"$b/vigil.err"
}

created()
{
	[[ -s $1/pidfile && -s $1/conmon.pid ]]
}

# wait_until SECS CMD...: poll CMD every 50 ms, at most SECS seconds
wait_until()
{
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.05
	done
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo -; }
fds()
{
	[[ -d /proc/$1/fd ]] || { echo -; return; }
	local f=("/proc/$1/fd/"*)
	echo "${#f[@]}"
}
# alive_vigil PID: PID is a running (not zombie) vigil
alive_vigil()
{
	[[ $(readlink "/proc/$1/exe" 2>/dev/null) == "$VIGIL" ]] || return 1
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[[ ${st%% *} != Z ]]
}

# sample_daemons FILE: "pid VmRSS-kB fds" for every pid in FILE that is a running vigil
sample_daemons()
{
	python3 - "$1" "$VIGIL" <<'PY'
import os, sys
vigil = sys.argv[2]
for pid in open(sys.argv[1]).read().split():
    try:
        if os.readlink("/proc/%s/exe" % pid) != vigil:
            continue
        status = open("/proc/%s/status" % pid).read()
        rss = [l.split()[1] for l in status.splitlines() if l.startswith("VmRSS:")]
        if not rss or "\nState:\tZ" in status:
            continue
        print(pid, rss[0], len(os.listdir("/proc/%s/fd" % pid)))
    except OSError:
        pass
PY
}

# stats: min median max of the numbers on stdin
stats()
{
	sort -n | awk '{v[NR] = $1} END {if (NR == 0) {print "- - -"; exit} printf "%s %s %s\n", v[1], v[int((NR + 1) / 2)], v[NR]}'
}

# complete LOG LAST: LOG holds "n 1" .. "n LAST" exactly, in order, and nothing else
complete()
{
	python3 "$INTEGRATION/seq_check.py" "$1" | python3 -c 'import json, sys
s = json.load(sys.stdin)
last = int(sys.argv[1])
sys.exit(0 if s["segments"] == [[1, last]] and s["other"] == 0 and s["records"] == last else 1)' "$2"
}

# The containers wait without forking: `read -t` on a FIFO nobody writes to (busybox's sleep is
# an exec each time, which on 2 cores with 100 containers costs more than everything else).
# shellcheck disable=SC2016 # shell code for the container, expanded there
PAUSE='mkfifo /dev/shm/p; exec 3<>/dev/shm/p; pause() { read -t "$1" x <&3; }'
# A container that waits for /gate/go (so that all of them log at the same time), then prints
# "n 1".."n LINES", one every 10 ms
COUNT_SCRIPT="$PAUSE
while [ ! -e /gate/go ]; do pause 0.1; done
i=0; while [ \$i -lt $LINES ]; do i=\$((i + 1)); echo \"n \$i\"; pause 0.01; done; exit 0"
# A container printing "n i" every 10 ms until /out/stop exists, then the next number
# shellcheck disable=SC2016 # shell code for the container, expanded there
TARGET_SCRIPT="$PAUSE"'
i=0; while [ ! -e /out/stop ]; do i=$((i + 1)); echo "n $i"; pause 0.01; done; echo "n $((i + 1))"; exit 0'

ROWS=()
row() { ROWS+=("$(printf '%-30s %-26s %s' "$1" "$2" "$3")"); }

log "vigil $("$VIGIL" --version | tr '\n' ' ')"
log "work dir $WORK; $CONTAINERS containers x $LINES lines, $EXECS execs, $ATTACH attach cycles"

# ---------------------------------------------------------------------------------------------
# phase 1: N containers at once

if ((CONTAINERS > 0)); then
	log "phase 1: creating $CONTAINERS containers"
	t0=$SECONDS
	for ((i = 1; i <= CONTAINERS; i++)); do
		b=$WORK/bundles/c$i
		make_bundle "$b" "$COUNT_SCRIPT"
	done
	# create in batches of 8 (runc create is CPU-heavy); vigil returns once it has daemonized
	for ((i = 1; i <= CONTAINERS; i++)); do
		vigil_create "$PREFIX-c$i" "$WORK/bundles/c$i" &
		if ((i % 8 == 0 || i == CONTAINERS)); then
			wait
			for ((j = i - (i % 8 == 0 ? 8 : i % 8) + 1; j <= i; j++)); do
				wait_until 60 created "$WORK/bundles/c$j" || {
					log "container $j was not created: $(cat "$WORK/bundles/c$j/vigil.err")"
					exit 1
				}
			done
		fi
	done
	log "created in $((SECONDS - t0)) s; starting"
	t1=$SECONDS
	for ((i = 1; i <= CONTAINERS; i++)); do
		"$RUNC" --root "$RUNC_ROOT" start "$PREFIX-c$i"
	done
	log "started in $((SECONDS - t1)) s; all log from now on; sampling the daemons while they run"
	touch "$WORK/gate/go"
	t_go=$SECONDS
	# three samples, 1 s after the go and then every 2 s; per daemon the largest value (one python
	# process reads /proc for all daemons: forking per daemon is too slow on a saturated machine)
	for ((i = 1; i <= CONTAINERS; i++)); do
		cat "$WORK/bundles/c$i/conmon.pid"
		echo
	done >"$WORK/daemons"
	running=0
	for sample in 1 2 3; do
		sleep $((sample == 1 ? 1 : 2))
		n=$("$RUNC" --root "$RUNC_ROOT" list --format json | python3 -c 'import json, sys
print(sum(1 for c in json.load(sys.stdin) or [] if c["status"] == "running"))')
		((n > running)) && running=$n
		sample_daemons "$WORK/daemons" >>"$WORK/samples"
	done
	# per daemon: the largest VmRSS and fd count seen
	mapfile -t rss_samples < <(awk '{if ($2 > r[$1]) r[$1] = $2} END {for (p in r) print r[p]}' "$WORK/samples")
	mapfile -t fd_samples < <(awk '{if ($3 > f[$1]) f[$1] = $3} END {for (p in f) print f[p]}' "$WORK/samples")
	all_exited() { [[ $(find "$EXITS" -maxdepth 1 -name "$PREFIX-c*" | wc -l) == "$CONTAINERS" ]]; }
	wait_until $((LINES * 6 / 100 + 120)) all_exited || log "not every container exited in time"
	ok_logs=0 ok_exit=0 bad_exit=
	for ((i = 1; i <= CONTAINERS; i++)); do
		complete "$WORK/bundles/c$i/ctr.log" "$LINES" && ok_logs=$((ok_logs + 1))
		e=$(cat "$EXITS/$PREFIX-c$i" 2>/dev/null || echo missing)
		if [[ $e == 0 ]]; then ok_exit=$((ok_exit + 1)); else bad_exit=${bad_exit:-" (c$i: $e)"}; fi
	done
	daemons_left=0
	for ((i = 1; i <= CONTAINERS; i++)); do
		pid=$(<"$WORK/bundles/c$i/conmon.pid")
		alive_vigil "$pid" && daemons_left=$((daemons_left + 1))
	done
	log "phase 1 done after $((SECONDS - t0)) s (logging took $((SECONDS - t_go)) s)"
	read -r a b c < <(printf '%s\n' "${rss_samples[@]}" | stats)
	row "$CONTAINERS containers at once" "vigil VmRSS kB min/med/max" "$a / $b / $c"
	read -r a b c < <(printf '%s\n' "${fd_samples[@]}" | stats)
	row "" "vigil fds min/med/max" "$a / $b / $c"
	row "" "running at once (max seen)" "$running / $CONTAINERS"
	row "" "daemons sampled" "${#rss_samples[@]} / $CONTAINERS"
	row "" "logs complete" "$ok_logs / $CONTAINERS"
	row "" "exit files = 0" "$ok_exit / $CONTAINERS$bad_exit"
	row "" "daemons left after exit" "$daemons_left"
	row "" "wall time" "$((SECONDS - t0)) s"
	for ((i = 1; i <= CONTAINERS; i++)); do
		"$RUNC" --root "$RUNC_ROOT" delete -f "$PREFIX-c$i" >/dev/null 2>&1 || true
	done
fi

# ---------------------------------------------------------------------------------------------
# phase 2 and 3: one long-running target container: execs, then attach cycles

if ((EXECS > 0 || ATTACH > 0)); then
	TB=$WORK/bundles/target
	TCID=$PREFIX-target
	make_bundle "$TB" "$TARGET_SCRIPT"
	vigil_create "$TCID" "$TB"
	wait_until 60 created "$TB" || { log "target not created: $(cat "$TB/vigil.err")"; exit 1; }
	"$RUNC" --root "$RUNC_ROOT" start "$TCID"
	TPID=$(<"$TB/conmon.pid")
	sleep 1
fi

if ((EXECS > 0)); then
	log "phase 2: $EXECS execs, $PARALLEL at a time"
	python3 - "$TB/config.json" "$WORK/exec-spec.json" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    p = json.load(f)["process"]
p["args"] = ["/bin/sh", "-c", "echo exec-ok; echo exec-err >&2; exit 3"]
p["terminal"] = False
with open(sys.argv[2], "w") as f:
    json.dump(p, f)
PY
	mkdir -p "$WORK/execs"
	rss_first=$(rss_kb "$TPID") fds_first=$(fds "$TPID")
	# one exec as CRI-O's ExecSync does it; exit status 3 expected, output in its own log
	exec_one()
	{
		local n=$1 d=$WORK/execs/$1 rc=0
		mkdir -p "$d"
		"$VIGIL" -c "$TCID" -n "$TCID" -r "$RUNC" -p "$d/pid" -e -l "k8s-file:$d/log" --sync \
			--log-global-size-max 16777216 -T 30 --exec-process-spec "$WORK/exec-spec.json" \
			--runtime-arg "--root=$RUNC_ROOT" --socket-dir-path "$WORK/sockets" \
			</dev/null >/dev/null 2>"$d/err" || rc=$?
		if [[ $rc == 3 ]] && grep -q ' stdout F exec-ok$' "$d/log" && grep -q ' stderr F exec-err$' "$d/log"; then
			echo ok
			rm -rf "$d"
		else
			echo "fail $n rc=$rc"
		fi
	}
	worker()
	{
		local n
		for ((n = $1; n <= EXECS; n += PARALLEL)); do
			exec_one "$n"
		done
	}
	t2=$SECONDS
	for ((w = 1; w <= PARALLEL; w++)); do
		worker "$w" >"$WORK/execs/worker.$w" &
	done
	wait
	exec_secs=$((SECONDS - t2))
	exec_ok=$(cat "$WORK"/execs/worker.* | grep -c '^ok$' || true)
	{ grep -h '^fail' "$WORK"/execs/worker.* || true; } | head -3 | while read -r l; do log "$l"; done
	rss_last=$(rss_kb "$TPID") fds_last=$(fds "$TPID")
	row "$EXECS execs (--sync, legacy)" "succeeded (rc 3 + output)" "$exec_ok / $EXECS in ${exec_secs} s"
	row "" "target vigil VmRSS kB" "first $rss_first, last $rss_last"
	row "" "target vigil fds" "first $fds_first, last $fds_last"
	log "phase 2 done in $exec_secs s"
fi

if ((ATTACH > 0)); then
	log "phase 3: $ATTACH attach connect/disconnect cycles"
	rss_first=$(rss_kb "$TPID") fds_first=$(fds "$TPID")
	t3=$SECONDS
	churn=$(timeout 300 python3 "$INTEGRATION/attach_churn.py" "$TB/attach" "$ATTACH" --mode mixed) || churn="failed: $churn"
	sleep 0.5
	rss_last=$(rss_kb "$TPID") fds_last=$(fds "$TPID")
	row "$ATTACH attach cycles" "client result" "$churn"
	row "" "target vigil VmRSS kB" "first $rss_first, last $rss_last"
	row "" "target vigil fds" "first $fds_first, last $fds_last"
	log "phase 3 done in $((SECONDS - t3)) s"
fi

if ((EXECS > 0 || ATTACH > 0)); then
	touch "$TB/out/stop"
	wait_until 30 test -e "$EXITS/$TCID" || log "the target did not exit"
	last=$(python3 "$INTEGRATION/seq_check.py" "$TB/ctr.log" | python3 -c 'import json, sys; print(json.load(sys.stdin)["words"].get("n", [0, 0])[1])')
	if complete "$TB/ctr.log" "$last"; then t="yes ($last lines)"; else t="NO"; fi
	row "target container" "log complete" "$t"
	row "" "exit file" "$(cat "$EXITS/$TCID" 2>/dev/null || echo missing)"
fi

echo
printf '%-30s %-26s %s\n' "phase" "metric" "value"
printf '%-30s %-26s %s\n' "-----" "------" "-----"
printf '%s\n' "${ROWS[@]}"
