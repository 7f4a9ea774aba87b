#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# run-in-ns.sh CMD [ARGS...]: run CMD (meson runs bats with one tests/crio/*.bats file) in the private
# mount and IPC namespace the CRI-O kit wants, after making the kit usable; exit with CMD's status.
#
# Env (meson sets all three):
#   VIGIL_CRIO_DIR  the kit: README.md, setup.sh, crio-lib.sh, critest.sh
#   CRIO_BIN        where setup.sh unpacks CRI-O, crictl, critest and the image registry; meson points it
#                   into the build dir, so a fresh machine needs nothing prepared by hand
#   VIGIL_BINARY    the monitor under test (read by helpers.bash)
#
# Steps:
#   1. setup.sh (idempotent, about 0.1 s once done): packages, binaries, test images. Its messages
#      go to stderr, so the TAP stream on stdout stays clean.
#   2. crio_enter_ns re-executes this script under `unshare -m -i`: every mount that CRI-O, runc and
#      the tests make lives and dies with the namespace. Missing host cache dirs are made first
#      (host-dirs.bash says why) and removed again at the end.
#   3. run CMD, then remove the namespace's private copies and the directories made in step 2.
set -euo pipefail
# shellcheck source=tests/crio/host-dirs.bash
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/host-dirs.bash"

if (($# == 0)); then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi
: "${VIGIL_CRIO_DIR:?set VIGIL_CRIO_DIR to the CRI-O kit directory}"
# Never fall back to crio-lib.sh's default (/tmp/crio-bin): the suite must not depend on what an
# earlier manual setup left on the machine.
: "${CRIO_BIN:?set CRIO_BIN to a directory for the kit binaries (meson: <build>/crio-bin)}"
[[ $CRIO_BIN == /* ]] || CRIO_BIN=$PWD/$CRIO_BIN
export CRIO_BIN

if [[ -z ${CRIO_IN_NS:-} ]]; then
	if ! bash "$VIGIL_CRIO_DIR/setup.sh" >&2; then
		echo "Bail out! $VIGIL_CRIO_DIR/setup.sh failed (CRIO_BIN=$CRIO_BIN)"
		exit 1
	fi
	# for the second run of this script, inside the namespace
	VIGIL_CRIO_MADE_DIRS=$(host_dirs_make)
	export VIGIL_CRIO_MADE_DIRS
fi

# shellcheck disable=SC2034 # crio_enter_ns re-executes CRIO_SELF with the same arguments
CRIO_SELF=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=/dev/null # the kit is outside the repository
source "$VIGIL_CRIO_DIR/crio-lib.sh"
crio_enter_ns "$@"

rc=0
"$@" || rc=$?

# The namespace's binds hide the host's directories: unmount them, then remove the ones made above.
for d in /var/lib/containers/cache /var/lib/cni; do
	umount -l "$d" 2>/dev/null || true
done
host_dirs_remove "${VIGIL_CRIO_MADE_DIRS:-}"
for d in ${CRIO_NS_TMP:-}; do
	rm -rf -- "$d"
done
exit "$rc"
