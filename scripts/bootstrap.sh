#!/bin/sh
# One command on a fresh Debian 12 machine, as root: install dependencies, build, run a container.
set -eu
cd "$(dirname "$0")/.."
echo "==> installing packages (apt-get)"
sh scripts/install-deps.sh
echo "==> configuring and building vigil in ./build"
[ -d build ] || meson setup build -Dtest-hooks=true
ninja -C build
echo "==> running a busybox container under vigil"
exec bash scripts/demo.sh build/src/vigil
