#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The package's example configs, unchanged, with real Podman and the installed /usr/bin/vigil:
# the containers.conf drop-in, the unit of `podman generate systemd --new` and one without --new
# (PIDFile), and the Quadlet file where this Podman has Quadlet.
#
# run.sh runs this file in a private mount namespace (unshare --mount): setup_file binds a scratch
# copy of /etc/containers over the real one and puts the example drop-in into it, exactly where an
# administrator would, with a private storage and runtime configuration beside it. No systemd runs
# here as PID 1, so the units' commands are run the way systemd would: %t and %n expanded, the
# Environment= lines set, NOTIFY_SOCKET given for Type=notify.

bats_require_minimum_version 1.5.0

EXAMPLES=/usr/share/doc/vigil/examples
IMAGE=localhost/busybox:test
UNIT=container-web.service

setup_file() {
	dpkg-query -W -f='${Status}' vigil 2>/dev/null | grep -q 'install ok installed' ||
		{ echo "# the vigil package is not installed (tests/package/run.sh installs it)" >&3; return 1; }
	# only ever inside a private mount namespace: the bind below must not reach the host
	[[ $(readlink /proc/self/ns/mnt) != "$(readlink /proc/1/ns/mnt)" ]] ||
		{ echo "# run this file under unshare --mount (tests/package/run.sh does)" >&3; return 1; }
	W=$(mktemp -d "${TMPDIR:-/tmp}/vigil-pkgconf.XXXXXX")
	export W
	mkdir -p "$W/etc" "$W/graph" "$W/run" "$W/tmp" "$W/volumes" "$W/networks" "$W/rt" "$W/rootfs/bin"
	[[ -d /etc/containers ]] && cp -a /etc/containers/. "$W/etc/"
	mkdir -p /etc/containers
	mount --bind "$W/etc" /etc/containers
	mkdir -p /etc/containers/containers.conf.d
	cp "$EXAMPLES/containers.conf.d/vigil.conf" /etc/containers/containers.conf.d/vigil.conf
	# the host's part: private storage and state (nothing here names a monitor)
	cat >/etc/containers/containers.conf <<-EOF
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
		netns = "none"
		[network]
		network_config_dir = "$W/networks"
		[engine]
		runtime = "runc"
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		tmp_dir = "$W/tmp"
		static_dir = "$W/graph/libpod"
		volume_path = "$W/volumes"
		lock_type = "file"
	EOF
	printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/graph"\nrunroot = "%s/run"\n' "$W" "$W" >"$W/storage.conf"
	export CONTAINERS_STORAGE_CONF=$W/storage.conf
	unset CONTAINERS_CONF CONTAINER_HOST CONTAINER_CONNECTION
	local a
	cp "$(command -v busybox)" "$W/rootfs/bin/busybox"
	for a in $("$W/rootfs/bin/busybox" --list); do
		[[ $a == busybox ]] || ln -sf busybox "$W/rootfs/bin/$a"
	done
	tar -C "$W/rootfs" -c . | pm import --quiet --change 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
}

teardown_file() {
	[[ -n ${W:-} ]] || return 0
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
	umount /etc/containers 2>/dev/null || true
	# podman's overlay mounts live in this namespace and go with it; the files go here
	umount -R "$W/graph/overlay" 2>/dev/null || true
	rm -rf -- "$W" 2>/dev/null || true
}

teardown() {
	rm -f /etc/containers/containers.conf.d/zz-sandbox.conf
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
	if [[ -f $W/listener.pid ]]; then
		kill "$(cat "$W/listener.pid")" 2>/dev/null || true
		rm -f "$W/listener.pid" "$W/notify.sock"
	fi
}

pm() {
	timeout --kill-after=10 90 podman "$@"
}

# vigil_pid_ok PID: PID is a live /usr/bin/vigil process
vigil_pid_ok() {
	local exe
	exe=$(readlink "/proc/$1/exe") || { echo "# process $1 is gone" >&3; return 1; }
	[ "$exe" = /usr/bin/vigil ] || { echo "# process $1 runs $exe, not /usr/bin/vigil" >&3; return 1; }
}

# wait_gone PID SECONDS
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[[ -e /proc/$1 ]] || return 0
		sleep 0.1
	done
	echo "# process $1 still there after $2 s" >&3
	return 1
}

@test "containers.conf drop-in: Podman runs /usr/bin/vigil, with VIGIL_EXIT_JSON from conmon_env_vars" {
	run -0 pm info --format '{{.Host.Conmon.Path}}'
	[ "$output" = /usr/bin/vigil ]
	local cid pid
	# shellcheck disable=SC2016 # the container's shell expands it
	cid=$(pm run -d --name dropin "$IMAGE" sh -c 'trap "exit 3" TERM; echo hello; while :; do sleep 0.1; done')
	pid=$(pm inspect --format '{{.State.ConmonPid}}' "$cid")
	vigil_pid_ok "$pid"
	tr '\0' '\n' <"/proc/$pid/environ" | grep -qx VIGIL_EXIT_JSON=1
	pm stop -t 10 "$cid" >/dev/null
	run -0 pm wait "$cid"
	[ "$output" = 3 ]
	wait_gone "$pid" 10
	run -0 pm logs "$cid"
	[ "$output" = hello ]
	# the opt-in feature took: an exit record beside the exit file (or in the persist dir)
	local rec
	rec=$(find "$W" /run/libpod -name exit.json -path "*$cid*" 2>/dev/null | head -n1)
	[[ -z $rec ]] && rec=$(find "$W" /run/libpod -name "$cid.json" 2>/dev/null | head -n1)
	[[ -n $rec ]] || { echo "# no exit record for $cid" >&3; return 1; }
	python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["exit_code"] == 3, r' "$rec"
}

@test "drop-in with VIGIL_SANDBOX=1: the installed vigil confines itself, Podman's exit command runs through the installed spawner" {
	# a later drop-in replaces conmon_env_vars, as an administrator adding the sandbox would
	printf '[engine]\nconmon_env_vars = ["PATH=%s", "VIGIL_SANDBOX=1"]\n' "$PATH" \
		>/etc/containers/containers.conf.d/zz-sandbox.conf
	local cid pid spawner p kids
	cid=$(pm run -d --rm --name sandboxed "$IMAGE" sh -c 'echo confined; sleep 2; exit 3')
	pid=$(pm inspect --format '{{.State.ConmonPid}}' "$cid")
	rm /etc/containers/containers.conf.d/zz-sandbox.conf
	vigil_pid_ok "$pid"
	for _ in $(seq 50); do grep -q '^Seccomp:[[:space:]]*2$' "/proc/$pid/status" && break; sleep 0.1; done
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$pid/status"
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$pid/status"
	# the spawner: the monitor's child, the helper the package installed, unconfined
	read -ra kids <"/proc/$pid/task/$pid/children" || true # no newline at its end
	for p in "${kids[@]}"; do
		[[ $(readlink "/proc/$p/exe") == /usr/libexec/vigil/vigil-exit-spawner ]] && spawner=$p
	done
	[[ -n ${spawner:-} ]] || { echo "# no vigil-exit-spawner child of $pid" >&3; return 1; }
	grep -q '^Seccomp:[[:space:]]*0$' "/proc/$spawner/status"
	# the container ends by itself: only the exit command (podman container cleanup --rm) removes it
	wait_gone "$pid" 20
	for _ in $(seq 100); do pm container exists "$cid" || break; sleep 0.2; done
	run pm container exists "$cid"
	[ "$status" = 1 ]
}

# unit_cmds UNIT-FILE: the unit's Exec lines and environment as shell-quoted words, one directive
# per line ("ExecStart<TAB>word word ..."), with %t and %n expanded as systemd does for a system
# service ($W/rt stands for /run).
unit_cmds() {
	python3 - "$1" "$W/rt" "$UNIT" <<-'PY'
		import shlex, sys
		path, rt, name = sys.argv[1:]
		text = open(path).read().replace("\\\n", " ")
		for line in text.splitlines():
		    if "=" not in line or line.startswith("#"):
		        continue
		    key, val = line.split("=", 1)
		    if key in ("ExecStartPre", "ExecStart", "ExecStop", "ExecStopPost", "Environment", "Type",
		               "NotifyAccess", "PIDFile"):
		        val = val.replace("%t", rt).replace("%n", name)
		        print(key + "\t" + " ".join(shlex.quote(w) for w in shlex.split(val)))
	PY
}

# unit_run DIRECTIVE: run the unit's DIRECTIVE commands (with the unit's Environment=)
unit_run() {
	local key words rc=0
	while IFS=$'\t' read -r key words; do
		[[ $key == "$1" ]] || continue
		echo "# $key: $words" >&3
		eval "env $UNIT_ENV NOTIFY_SOCKET=$W/notify.sock $words" || rc=$?
	done <"$W/unit.cmds"
	return "$rc"
}

@test "systemd unit from podman generate systemd --new, unchanged: vigil is MAINPID until the container stops" {
	unit_cmds "$EXAMPLES/systemd/$UNIT" >"$W/unit.cmds"
	grep -qx $'Type\tnotify' "$W/unit.cmds"
	UNIT_ENV=$(awk -F'\t' '$1 == "Environment" {print $2}' "$W/unit.cmds")
	[ "$UNIT_ENV" = "PODMAN_SYSTEMD_UNIT=$UNIT" ]
	# systemd's notify socket: every datagram goes to a file
	python3 - "$W/notify.sock" "$W/notify.log" 3>&- <<-'PY' &
		import socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
		s.bind(sys.argv[1])
		with open(sys.argv[2], "ab", buffering=0) as f:
		    while True:
		        f.write(s.recv(4096) + b"\n")
	PY
	local listener=$!
	for _ in $(seq 50); do [[ -S $W/notify.sock ]] && break; sleep 0.1; done
	unit_run ExecStartPre
	unit_run ExecStart
	# Type=notify: systemd takes MAINPID and READY=1 from the socket
	grep -qx 'READY=1' "$W/notify.log"
	local mainpid
	mainpid=$(sed -n 's/^MAINPID=//p' "$W/notify.log" | tail -n1)
	kill "$listener"
	echo "# notify: $(tr '\n' ' ' <"$W/notify.log")" >&3
	vigil_pid_ok "$mainpid"
	[ "$(pm inspect --format '{{.State.ConmonPid}}' web)" = "$mainpid" ]
	# the service is up: its container logs through vigil
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -n $(pm logs web 2>/dev/null) ]] && break
		sleep 0.1
	done
	[[ $(pm logs web | head -n1) =~ ^[A-Z][a-z]{2}\ [A-Z][a-z]{2} ]]
	# stopping the service: the main process (vigil) ends, the container is gone (--rm)
	unit_run ExecStop
	wait_gone "$mainpid" 20
	unit_run ExecStopPost
	run pm container exists web
	[ "$status" = 1 ]
}

@test "systemd unit from podman generate systemd (no --new): its PIDFile is vigil's pidfile" {
	local cid
	cid=$(pm create --name web2 "$IMAGE" sh -c 'while true; do sleep 1; done')
	pm generate systemd --name web2 >"$W/web2.service"
	local pidfile
	pidfile=$(sed -n 's/^PIDFile=//p' "$W/web2.service")
	echo "# PIDFile=$pidfile" >&3
	[[ -n $pidfile ]]
	grep -qx 'Type=forking' "$W/web2.service"
	# ExecStart is `podman start web2`
	grep -qx 'ExecStart=/usr/bin/podman start web2' "$W/web2.service"
	pm start web2 >/dev/null
	local pid
	pid=$(cat "$pidfile")
	vigil_pid_ok "$pid"
	[ "$(pm inspect --format '{{.State.ConmonPid}}' "$cid")" = "$pid" ]
	pm stop -t 1 web2 >/dev/null
	wait_gone "$pid" 20
}

@test "Quadlet .container file: the generated service runs podman with --sdnotify=conmon" {
	local gen=
	for g in /usr/lib/systemd/system-generators/podman-system-generator /usr/libexec/podman/quadlet; do
		[[ -x $g ]] && gen=$g && break
	done
	[[ -n $gen ]] || skip "this Podman ($(podman --version)) has no Quadlet; it came with Podman 4.4"
	mkdir -p "$W/quadlet" "$W/quadlet-out"
	cp "$EXAMPLES/quadlet/web.container" "$W/quadlet/"
	QUADLET_UNIT_DIRS=$W/quadlet "$gen" --no-kmsg-log "$W/quadlet-out"
	grep -q -- '--sdnotify=conmon' "$W/quadlet-out/web.service"
	grep -qx 'Type=notify' "$W/quadlet-out/web.service"
}
