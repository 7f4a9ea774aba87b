#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# tests/package/run.sh: the Debian package, built, installed, used and removed as a distribution's
# user would (CI runs it; it changes the machine, so `meson test` does not). As root on Debian 12,
# with scripts/install-deps.sh's packages plus debhelper and lintian, and no vigil package
# installed:
#   1. dpkg-buildpackage -us -uc -b in a copy of the tree (its unit tests run in the build)
#   2. lintian: no error or warning that debian/vigil.lintian-overrides does not explain
#   3. apt-get install ./vigil_*.deb
#   4. 01-installed.bats: the files, --version and --help, the "conmon" alternative (switch to vigil,
#      switch back) and its trigger on /usr/bin/conmon
#   5. e2e tests (real Podman) against the installed binary: the basic, logs, lifecycle and exec
#      files (VIGIL_PACKAGE_E2E=all: the whole suite) with no conmon_path at all and the alternative
#      switched to vigil (Podman takes /usr/libexec/podman/conmon itself, a link to /usr/bin/vigil's
#      hard link), then the basic file with conmon_path = /usr/bin/vigil
#   6. 02-configs.bats: the containers.conf drop-in and the systemd units, unchanged, with real
#      Podman; 03-crio-dropin.bats: the CRI-O drop-in with a private CRI-O
#   7. apt-get purge vigil: nothing of the package is left (files, alternatives, links)
# Prints TAP from the bats files and one "package: N passed, N failed" line; exit 0 only if all
# passed. VIGIL_PACKAGE_KEEP=1 leaves the package installed at the end.
# shellcheck disable=SC2317 # the step functions run through step()
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC" || exit 1
export DEBIAN_FRONTEND=noninteractive

passed=0
failed=0
step() {
	local name=$1
	shift
	echo "## package: $name"
	if "$@"; then
		passed=$((passed + 1))
		echo "ok - package: $name"
	else
		failed=$((failed + 1))
		echo "not ok - package: $name"
	fi
}
finish() {
	echo "package: $passed passed, $failed failed"
	((failed == 0))
	exit
}

if dpkg-query -W -f='${Status}' vigil 2>/dev/null | grep -q installed; then
	echo "Bail out! a vigil package is installed already; remove it first (apt-get purge vigil)"
	exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-package.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT

# What the machine had before: after the purge it must be the same.
snapshot() {
	{
		update-alternatives --query conmon 2>/dev/null || echo "no conmon alternative"
		# shellcheck disable=SC2012 # a listing to compare, names are fixed
		ls -la /usr/libexec/podman /usr/libexec/vigil /usr/sbin/conmon /etc/alternatives/conmon \
			/etc/alternatives/conmon-sbin /usr/bin/vigil /usr/share/doc/vigil /usr/share/vigil 2>&1 |
			sed 's/[0-9][0-9]:[0-9][0-9]//'
	} >"$1"
}
snapshot "$WORK/before"

build() {
	mkdir -p "$WORK/src/vigil"
	# the tree as it is (also uncommitted changes), without build directories
	tar -C "$SRC" --exclude='./build*' --exclude=./.git --exclude='./obj-*' -cf - . | tar -C "$WORK/src/vigil" -xf - ||
		return 1
	if ! (cd "$WORK/src/vigil" && dpkg-buildpackage -us -uc -b >"$WORK/build.log" 2>&1); then
		tail -40 "$WORK/build.log"
		return 1
	fi
	grep -E '^(Ok|Fail):' "$WORK/build.log"
	ls "$WORK"/src/vigil_*_*.deb
}
step "dpkg-buildpackage -us -uc -b" build || finish

lint() {
	local out
	out=$(lintian --pedantic "$WORK"/src/vigil_*.changes 2>&1) || true
	[[ -n $out ]] && printf '%s\n' "$out"
	! grep -qE '^[EW]: ' <<<"$out"
}
step "lintian --pedantic: no error or warning beyond the documented overrides" lint

install_deb() {
	apt-get install -y -qq "$(ls "$WORK"/src/vigil_*_amd64.deb)" >"$WORK/install.log" 2>&1 ||
		{ cat "$WORK/install.log"; return 1; }
	dpkg-query -W -f='${Package} ${Version} ${Status}\n' vigil
}
step "apt-get install ./vigil_*.deb" install_deb || finish

bats_step() {
	local name=$1
	shift
	step "$name" env "$@"
}

bats_step "installed files and the conmon alternative" bats --tap tests/package/01-installed.bats
E2E=(tests/e2e/*.bats)
# The alternative's target is /usr/bin/vigil itself (a hard link). By default (CI) the files that
# check the monitor's path and exe, the lifecycle, logs and exec monitors run through it, with no
# conmon_path, as on a host switched with update-alternatives; VIGIL_PACKAGE_E2E=all runs the whole
# suite (about 3 minutes more). The basic file runs again with conmon_path = /usr/bin/vigil, as the
# containers.conf example has it.
if [[ ${VIGIL_PACKAGE_E2E:-} != all ]]; then
	E2E=(tests/e2e/01-basic.bats tests/e2e/02-logs.bats tests/e2e/03-lifecycle.bats tests/e2e/07-exec.bats)
fi
through_alternative() {
	update-alternatives --set conmon /usr/libexec/vigil/conmon || return 1
	local rc=0
	VIGIL_E2E_CONMON_SEARCH=1 VIGIL_BINARY=/usr/libexec/podman/conmon bats --tap "${E2E[@]}" || rc=$?
	update-alternatives --auto conmon || rc=1
	return "$rc"
}
step "e2e through the conmon alternative (no conmon_path: Podman's own search list)" through_alternative
bats_step "e2e basic file with conmon_path /usr/bin/vigil" VIGIL_BINARY=/usr/bin/vigil bats --tap tests/e2e/01-basic.bats
bats_step "example configs with real Podman" unshare --mount --propagation private bats --tap tests/package/02-configs.bats
CRIO_ENV=(VIGIL_BINARY=/usr/bin/vigil VIGIL_CRIO_DIR="${VIGIL_CRIO_DIR:-$SRC/../shared/crio}"
	CRIO_BIN="${CRIO_BIN:-$SRC/build/crio-bin}" VIGIL_CRIO_MONITOR=/usr/bin/conmon
	VIGIL_CRIO_DROPIN=/usr/share/doc/vigil/examples/crio.conf.d/10-vigil.conf)
if [[ -f ${VIGIL_CRIO_DIR:-$SRC/../shared/crio}/crio-lib.sh ]]; then
	bats_step "the CRI-O drop-in with a private CRI-O" "${CRIO_ENV[@]}" tests/crio/run-in-ns.sh bats --tap \
		tests/package/03-crio-dropin.bats
else
	echo "# no CRI-O kit: the CRI-O drop-in is not tried"
fi

if [[ -n ${VIGIL_PACKAGE_KEEP:-} ]]; then
	echo "# VIGIL_PACKAGE_KEEP: the package stays installed"
	finish
fi

purge() {
	apt-get purge -y -qq vigil >"$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; return 1; }
	snapshot "$WORK/after"
	diff -u "$WORK/before" "$WORK/after" || return 1
	! dpkg-query -W vigil >/dev/null 2>&1 || dpkg-query -W -f='${Status}\n' vigil | grep -q not-installed
}
step "apt-get purge vigil leaves nothing behind" purge
finish
