#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# meson install script (-Dconmon-alternative=true): LIBEXECDIR/vigil/conmon becomes a hard link of
# BINDIR/vigil, so that a monitor started through it shows /proc/PID/exe ending in /conmon (Podman's
# system tests look for that) while both names are one file.
#   install-conmon-link.sh BINDIR LIBEXECDIR   (both relative to the prefix, or absolute)
set -eu
base=${MESON_INSTALL_DESTDIR_PREFIX:?run by meson install}
abs() {
	case $1 in
	/*) printf '%s%s' "${DESTDIR:-}" "$1" ;;
	*) printf '%s/%s' "$base" "$1" ;;
	esac
}
bin=$(abs "$1")/vigil
dir=$(abs "$2")/vigil
mkdir -p "$dir"
ln -f "$bin" "$dir/conmon"
echo "Installing $dir/conmon (a hard link of $bin)"
