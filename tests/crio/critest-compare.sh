#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# critest-compare.sh: Kubernetes' CRI validation suite (critest) against the kit's private CRI-O,
# once with Debian's conmon as the monitor and once with vigil, as one TAP test.
#
# Passes if the vigil run has no failed spec and every spec that passed with conmon also passed
# with vigil. Without /usr/bin/conmon (or $CONMON) only the first condition is checked, and the
# output says so. Prints both summary lines and wall times as TAP comments, the specs that differ,
# and each run's full per-spec output on stderr (meson's test log).
#
# Env: VIGIL_BINARY, VIGIL_CRIO_DIR, CRIO_BIN (meson sets them; see run-in-ns.sh),
#      CONMON (/usr/bin/conmon), CRITEST_TIMEOUT (critest.sh's, seconds per run).
# critest.sh enters its own private mount namespace and stops everything it started; its kept
# results (CRITEST_OUT) go to a temp dir that this script removes, and the host cache dirs it
# would create are made and removed here (host-dirs.bash).
set -uo pipefail
# shellcheck source=tests/crio/host-dirs.bash
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/host-dirs.bash"

: "${VIGIL_BINARY:?set VIGIL_BINARY to the vigil binary}"
: "${VIGIL_CRIO_DIR:?set VIGIL_CRIO_DIR to the CRI-O kit directory}"
: "${CRIO_BIN:?set CRIO_BIN to a directory for the kit binaries (meson: <build>/crio-bin)}"
[[ $CRIO_BIN == /* ]] || CRIO_BIN=$PWD/$CRIO_BIN
export CRIO_BIN
VIGIL=$(readlink -f -- "$VIGIL_BINARY")
CONMON=${CONMON:-/usr/bin/conmon}

echo "1..1"
if ! bash "$VIGIL_CRIO_DIR/setup.sh" >&2; then
	echo "not ok 1 - critest: $VIGIL_CRIO_DIR/setup.sh failed"
	exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-critest.XXXXXX")
MADE_DIRS=$(host_dirs_make) || MADE_DIRS=
trap 'rm -rf -- "$WORK"; host_dirs_remove "$MADE_DIRS"' EXIT

# run_critest NAME MONITOR: run critest.sh; sets SUMMARY (its last line "N passed, N failed,
# N skipped", empty if missing), RC and WALL (seconds); keeps the output in $WORK/NAME.txt.
run_critest() {
	local name=$1 monitor=$2 start
	start=$(date +%s)
	CRITEST_OUT=$WORK/$name-out "$VIGIL_CRIO_DIR/critest.sh" "$monitor" >"$WORK/$name.txt" 2>&1
	RC=$?
	WALL=$(($(date +%s) - start))
	SUMMARY=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$WORK/$name.txt" | tail -n 1)
	sed "s/^/$name: /" "$WORK/$name.txt" >&2
}

# passed_specs NAME: the names of the specs that passed in run NAME, sorted.
passed_specs() {
	sed -n 's/^ok //p' "$WORK/$1.txt" | sort
}

have_conmon=
if [[ -x $CONMON ]]; then
	have_conmon=1
	run_critest conmon "$CONMON"
	echo "# conmon ($CONMON): ${SUMMARY:-no summary line, critest.sh exit $RC} in $WALL s"
else
	echo "# $CONMON is missing: no conmon run; vigil must only have 0 failed specs"
fi

run_critest vigil "$VIGIL"
echo "# vigil ($VIGIL): ${SUMMARY:-no summary line, critest.sh exit $RC} in $WALL s"

problems=()
if [[ $SUMMARY =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
	((BASH_REMATCH[2] == 0)) || problems+=("${BASH_REMATCH[2]} failed with vigil")
	((BASH_REMATCH[1] > 0)) || problems+=("no spec passed with vigil")
else
	problems+=("no summary from the vigil run")
fi
((RC == 0)) || problems+=("critest.sh exit $RC with vigil")
grep '^not ok ' "$WORK/vigil.txt" | sed 's/^/# vigil: /'

if [[ -n $have_conmon ]]; then
	mapfile -t lost < <(comm -23 <(passed_specs conmon) <(passed_specs vigil))
	if ((${#lost[@]} > 0)); then
		problems+=("${#lost[@]} specs passed with conmon but not with vigil")
		printf '# passed with conmon, not with vigil: %s\n' "${lost[@]}"
	fi
	mapfile -t gained < <(comm -13 <(passed_specs conmon) <(passed_specs vigil))
	if ((${#gained[@]} > 0)); then
		printf '# passed with vigil, not with conmon: %s\n' "${gained[@]}"
	fi
fi

verdict="vigil: $SUMMARY"
if [[ -n $have_conmon ]]; then
	verdict+="; every spec that passed with conmon passed with vigil"
else
	verdict+=" (no conmon to compare with)"
fi
if ((${#problems[@]} == 0)); then
	echo "ok 1 - critest: $verdict"
else
	msg=$(printf '%s; ' "${problems[@]}")
	echo "not ok 1 - critest: ${msg%; }"
	exit 1
fi
