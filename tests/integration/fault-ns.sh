#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
#   fault-ns.sh WORKDIR [--tmpfs DIR SIZE]... [--ro DIR]... -- CMD [ARGS...]
#
# File-system faults for the tests, without touching the host: the script re-executes itself in
# a new mount namespace (unshare --mount, propagation slave: host mounts still show up inside,
# nothing mounted inside shows up outside) and there
#   --tmpfs DIR SIZE   mounts a tmpfs of SIZE (for example 1m) on the existing directory DIR
#                      (a small disk that can be filled up);
#   --ro DIR           turns DIR into a read-only bind mount of itself (even root cannot create
#                      files in it: EROFS).
# Then it writes WORKDIR/ns.pid (its own pid, a process inside the namespace: the test reaches the
# namespace's files through /proc/PID/root/...), runs CMD, writes WORKDIR/ns.cmd-done, and, if
# WORKDIR/ns.hold exists, keeps the namespace (and the files on its tmpfs) until WORKDIR/ns.release
# exists (at most $FAULT_NS_MAX_SECONDS, default 300). Exit status: CMD's.
set -euo pipefail

if [[ ${1:-} != --inner ]]; then
	exec unshare --mount --propagation slave "$BASH" "${BASH_SOURCE[0]}" --inner "$@"
fi
shift
work=$1
shift
while (($#)); do
	case $1 in
	--tmpfs)
		mount -t tmpfs -o "size=$3,mode=755" tmpfs "$2"
		shift 3
		;;
	--ro)
		mount --bind "$2" "$2"
		mount -o remount,bind,ro "$2"
		shift 2
		;;
	--)
		shift
		break
		;;
	*)
		echo "fault-ns.sh: unknown option $1" >&2
		exit 2
		;;
	esac
done
echo $$ >"$work/ns.pid.tmp"
mv "$work/ns.pid.tmp" "$work/ns.pid"
rc=0
"$@" || rc=$?
: >"$work/ns.cmd-done"
if [[ -e $work/ns.hold ]]; then
	end=$((SECONDS + ${FAULT_NS_MAX_SECONDS:-300}))
	while [[ ! -e $work/ns.release ]] && ((SECONDS < end)); do
		sleep 0.05
	done
fi
exit "$rc"
