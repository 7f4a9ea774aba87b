#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
#   tests/pristine-ns.sh CMD [ARGS...]
#
# Run CMD as on a machine that never ran a container: in a private mount namespace where /run (so
# /var/run, /var/run/crio and runc's default state dir /run/runc), /tmp and /var/tmp are fresh,
# empty tmpfs mounts. Nothing an earlier run left there (a socket dir, a rootfs, a runc state
# dir) can then hide a fresh-machine failure, and nothing CMD leaves there outlives it.
# The project tree (the current directory's git top level, or the current directory) stays
# visible at its own path even when it lives under one of those directories.
# Needs root (unshare, mount). Exit status: CMD's.
set -euo pipefail

if [[ ${1:-} != --inner ]]; then
	(($# > 0)) || {
		echo "usage: $0 CMD [ARGS...]" >&2
		exit 2
	}
	exec unshare --mount --propagation private "$BASH" "${BASH_SOURCE[0]}" --inner "$PWD" "$@"
fi
shift
cwd=$1
shift
keep=$(git -C "$cwd" rev-parse --show-toplevel 2>/dev/null || echo "$cwd")

# Park the project tree where no fresh mount covers it, then put it back on top.
stage=
for d in /tmp /var/tmp /run; do
	if [[ $keep == "$d" || $keep == "$d"/* ]]; then
		stage=$(mktemp -d /dev/shm/pristine-ns.XXXXXX)
		mount --bind "$keep" "$stage"
		break
	fi
done

mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp
# what every Debian machine has in /run at boot (systemd-tmpfiles), and tests may rely on
mkdir -p /run/lock /run/user
chmod 1777 /run/lock

# the fresh-machine facts this namespace promises
[[ ! -e /var/run/crio && ! -e /run/runc && -z $(ls -A /tmp) ]] || {
	echo "pristine-ns: /run or /tmp is not empty" >&2
	exit 1
}

if [[ -n $stage ]]; then
	mkdir -p "$keep"
	mount --move "$stage" "$keep"
	rmdir "$stage" 2>/dev/null || true
fi

echo "pristine-ns: fresh /run, /tmp and /var/tmp; running: $*" >&2
cd "$cwd"
exec "$@"
